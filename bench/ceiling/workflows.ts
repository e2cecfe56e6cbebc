/** The ceiling worker's workflows module (its bundle's entry): the null interpreter alone. */
export { ceilingWorkflow } from './workflow';
